"""Pages of the emission total library (总量库): the management list and deadlines (``listing``),
self-reports (``reports``), review and consistency (``review``), determinations
(``determinations``)."""
