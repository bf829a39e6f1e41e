from django.apps import AppConfig


class WebformsConfig(AppConfig):
    name = "webforms"
    verbose_name = "Embedded forms"

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from .cors import allow_form_origin

        check_request_enabled.connect(allow_form_origin, dispatch_uid="webforms-cors")

        from django.db.models.signals import post_delete, post_save

        from .models import Form, FormCosponsor
        from .views import forget_forms

        for model in (Form, FormCosponsor):
            post_save.connect(forget_forms, sender=model, dispatch_uid=f"webforms-forget-{model.__name__}")
            post_delete.connect(forget_forms, sender=model, dispatch_uid=f"webforms-forget-del-{model.__name__}")
