from django.urls import re_path

from . import events, forms, views

app_name = "osdi"
ID = r"(?P<pk>[^/]+)"

urlpatterns = [
    re_path(r"^$", views.EntryPointView.as_view(), name="root"),
    re_path(r"^people/?$", views.PeopleView.as_view(), name="people"),
    re_path(rf"^people/{ID}/?$", views.PersonView.as_view(), name="person"),
    re_path(rf"^people/{ID}/taggings/?$", views.PersonTaggingsView.as_view(), name="person-taggings"),
    re_path(r"^tags/?$", views.TagsView.as_view(), name="tags"),
    re_path(rf"^tags/{ID}/?$", views.TagView.as_view(), name="tag"),
    re_path(rf"^tags/{ID}/taggings/?$", views.TagTaggingsView.as_view(), name="tag-taggings"),
    re_path(rf"^tags/{ID}/taggings/(?P<person_pk>[^/]+)/?$", views.TaggingView.as_view(), name="tagging"),
]
urlpatterns += events.urls()
urlpatterns += forms.urls()
