"""储备库 pages, by topic: applications and decisions, intake, upper level, data (recovery,
verified emissions, attainment) and warnings."""
