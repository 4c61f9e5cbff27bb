from django.urls import path

from console.views import console_page

urlpatterns = [path("", console_page, name="console")]
