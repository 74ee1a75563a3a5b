"""The scheduled-job entrypoint: named jobs, run once or on their intervals."""
