"""Who may do what in the reduction library (RED-3, RED-4, RED-5); scope comes from the models."""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        # Read the projects and the library within one's scope (enterprise: own unit; zone officer:
        # own zone; third party: assigned zones; bureau, partner, leader: the park), incl. evidence.
        "reductions.view": frozenset(R),
        # Prepare projects: create, edit, account lines, upload evidence.
        "reductions.prepare": frozenset({R.ENTERPRISE, R.ZONE_OFFICER}),
        # An enterprise hands its prepared project to its zone.
        "reductions.handover": frozenset({R.ENTERPRISE}),
        # A zone officer submits the zone's projects to the bureau, adopts or declines suggestions.
        "reductions.submit": frozenset({R.ZONE_OFFICER}),
        "reductions.adopt": frozenset({R.ZONE_OFFICER}),
        # The bureau and the Economic Development Committee suggest candidate projects (RED-3).
        "reductions.suggest": frozenset({R.PARTNER, R.REVIEWER, R.ADMIN}),
        # Third parties pre-check and write technical opinions on assigned zones; they never decide.
        "reductions.opinion": frozenset({R.THIRD_PARTY}),
        # Bureau review: approve, reject (with reason) or return for revision (RED-4).
        "reductions.review": frozenset({R.REVIEWER}),
        # Usage marks on approved lines (RES-1 exclusions, upper-level reserve).
        "reductions.mark_usage": frozenset({R.REVIEWER, R.ADMIN}),
        # Bulk declaration from the XLSX template.
        "reductions.import": frozenset({R.ZONE_OFFICER}),
        # Quarterly rounds and accounting factors are bureau administration.
        "reductions.manage_rounds": frozenset({R.ADMIN}),
        "reductions.manage_factors": frozenset({R.ADMIN}),
        # The periodic bulletin (RED-5): everyone but enterprise staff, within their zones.
        "reductions.view_bulletin": frozenset(set(R) - {R.ENTERPRISE}),
    }
)
