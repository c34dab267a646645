"""Who may do what in the emission total library (TOT-1 … TOT-3)."""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        "emissions.view": set(R),
        # The management list is drawn up by the bureau and the zones (TOT-1).
        "emissions.manage_list": {R.ADMIN, R.REVIEWER, R.ZONE_OFFICER},
        # A listed unit reports its own emissions (TOT-2); a unit's system token may too.
        "emissions.report": {R.ENTERPRISE, R.SYSTEM},
        # A technical opinion is prepared by a third party or a reviewer (TOT-3).
        "emissions.opinion": {R.THIRD_PARTY, R.REVIEWER},
        # Returning and accepting a report: a reviewer other than the opinion's author (TOT-3).
        "emissions.review": {R.REVIEWER},
        "emissions.import_sources": {R.REVIEWER, R.ADMIN},
        # The import batches of other sources are the bureau's records, read park-wide; the figures
        # themselves are read by everyone within their scope (emissions.view).
        "emissions.view_sources": {R.REVIEWER, R.ADMIN, R.LEADER, R.PARTNER},
        "emissions.resolve_flag": {R.REVIEWER},
        # Typing a verified emission by hand, with evidence: the RES-4 (2) fallback, by a reviewer.
        "emissions.record_verified": {R.REVIEWER},
        # Computing and issuing determinations, proposing and confirming overrides (TOT-3).
        "emissions.determine": {R.REVIEWER},
        "emissions.extend_deadline": {R.ADMIN, R.REVIEWER},
        "emissions.remind": {R.ZONE_OFFICER, R.ADMIN, R.REVIEWER},
    }
)
