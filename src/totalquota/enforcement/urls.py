from totalquota.enforcement.views.pages import urlpatterns as pages

app_name = "enforcement"

urlpatterns = [*pages]
