"""Apply pending migrations: `python run_migration.py` (same as `flask --app app migrate`)."""

import logging
import sys

from app.config import load_config
from app.embedded import resolve_database_url
from app.storage.migrate import migrate


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    cfg = load_config()
    url = resolve_database_url(cfg)
    names = migrate(url)
    print(f"applied {len(names)} migration(s)" + (": " + ", ".join(names) if names else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
