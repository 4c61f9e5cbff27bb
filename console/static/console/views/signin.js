// Sign in (POST auth/login/), or create a customer account (POST auth/register/): the only
// role public sign-up can create. Experts and staff get their accounts from staff.

import { $, onSubmit } from "./dom.js";

export class SignInView {
  constructor({ session, signedIn }) {
    onSubmit($("signin-form"), async (form) => {
      const data = new FormData(form);
      await session.signIn(data.get("email"), data.get("password"));
      form.reset();
      signedIn();
    });
    onSubmit($("register-form"), async (form) => {
      const data = new FormData(form);
      await session.register(data.get("name"), data.get("email"), data.get("password"));
      form.reset();
      signedIn();
    });
  }

  show() {
    $("signin").hidden = false;
    $("signin-email").focus();
  }

  hide() {
    $("signin").hidden = true;
  }
}
