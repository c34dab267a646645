"""Pages of enforcement and credit (SUP-4): ``pages`` holds them all."""
