"""`python -m complaints_pipeline.sample_data --start ... --end ... --out ...`."""

import sys

from complaints_pipeline.sample_data.cli import main

sys.exit(main())
