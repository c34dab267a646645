"""Who may import the park's history (SCOPE-1): bureau administrators only. One prepares an
import, another confirms it (four eyes, checked in the service)."""

from totalquota.accounts.permissions import register_actions
from totalquota.accounts.roles import Role as R

register_actions(
    {
        # The imports, their reports and the template.
        "history.view": {R.ADMIN},
        # Uploading a file (preparing), confirming (another admin) or discarding an import.
        "history.import": {R.ADMIN},
    }
)
