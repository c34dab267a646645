from totalquota.emissions.views import determinations, listing, reports, review

app_name = "emissions"

# Each area of the library declares its own routes; their paths do not overlap.
urlpatterns = [
    *listing.urlpatterns,
    *reports.urlpatterns,
    *review.urlpatterns,
    *determinations.urlpatterns,
]
