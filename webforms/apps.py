from django.apps import AppConfig


class WebformsConfig(AppConfig):
    name = "webforms"
    verbose_name = "Embedded forms"

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from .cors import allow_form_origin

        check_request_enabled.connect(allow_form_origin, dispatch_uid="webforms-cors")
