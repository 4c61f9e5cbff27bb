// The two banners under the top bar: a problem (role=alert, stays until dismissed or the next
// success) and a notice (role=status, fades after a while). Both are read out by screen readers.

const $ = (id) => document.getElementById(id);
const NOTICE_MS = 6_000;
let noticeTimer = null;

// `problem` is an Error (ApiError messages are already plain words) or a sentence.
export function showProblem(problem) {
  $("problem-text").textContent = problem instanceof Error ? problem.message : problem;
  $("problem").hidden = false;
}

export function clearProblem() {
  $("problem").hidden = true;
}

export function announce(text) {
  const notice = $("notice");
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    notice.hidden = true;
  }, NOTICE_MS);
}

$("problem-dismiss").addEventListener("click", clearProblem);
