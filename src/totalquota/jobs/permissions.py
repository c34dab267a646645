"""Who may see and run background jobs again. Starting a job needs the permission of its kind
(``jobs.kinds.register(..., permission=...)``), checked by :func:`totalquota.jobs.services.job_start`."""

from totalquota.accounts.permissions import BUREAU, EVERYONE, register_actions
from totalquota.accounts.roles import Role

register_actions(
    {
        # Everyone sees the jobs they started (a unit's import, a system's upload through the API) …
        "jobs.view": EVERYONE,
        # … and the bureau sees every job of the park, to help when one fails.
        "jobs.view_all": BUREAU,
        # Running again a job whose worker stopped (queued or running past its lease): whoever sees
        # it, except the leaders, who change nothing.
        "jobs.rerun": EVERYONE - {Role.LEADER},
    }
)
