"""Who may do what with the registry's permit data and working-day calendar (the registry's other
actions are in ``accounts.permissions.PERMISSIONS``)."""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        # 排污许可量: the bureau's administrators, and a zone's officers for the units of their zone.
        "registry.record_permit": {R.ADMIN, R.ZONE_OFFICER},
        # A permit issued or changed in the permit system, posted as an inbound event (PLAT-1).
        "registry.receive_permit": {R.SYSTEM},
        # The working-day calendar (holidays and adjusted working days): the bureau's administrators.
        "registry.manage_calendar": {R.ADMIN},
    }
)
