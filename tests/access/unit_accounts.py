"""Access table: units' accounts with one-time passwords (bureau admin, zone officers)."""

from totalquota.accounts.roles import Role as R

from . import PEOPLE, Page, allow

OPENERS = allow(R.ADMIN, R.ZONE_OFFICER, roles_list=PEOPLE)

PAGES = {
    "accounts:unit_account_list": Page(OPENERS),
    "accounts:unit_pending": Page(OPENERS),
    # An empty selection: the openers get the refusal on the form (422), the others 403.
    "accounts:unit_pending#post": Page(OPENERS, method="post"),
    # The unit is in zone A: the officer of zone A and the admin may reset it.
    "accounts:unit_password_reset": Page(OPENERS, kwargs=lambda w: {"pk": w.company_user.pk}, method="post"),
    "accounts:unit_password_reset#other_zone": Page(
        allow(R.ADMIN, roles_list=PEOPLE, overrides={R.ZONE_OFFICER: 404}),
        kwargs=lambda w: {"pk": w.other_company_user.pk},
        method="post",
    ),
    # Without a seal: the openers are sent back with a message, the others 403.
    "accounts:one_time_passwords_download": Page(OPENERS, kwargs=lambda w: {"fmt": "xlsx"}, method="post"),
}
