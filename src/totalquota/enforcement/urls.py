from totalquota.enforcement.views import urlpatterns as pages

app_name = "enforcement"

urlpatterns = [*pages]
