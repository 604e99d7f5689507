"""Run the whole bot for development: web app and worker in one process.

`python run.py` with nothing configured starts an embedded PostgreSQL, migrates it, seeds the
demo business and runs in mock mode with the offline model.
"""

import logging
import threading

from app import create_app
from app.config import load_config


def main() -> None:
    overrides = {}
    if not load_config()["MOCK_MODE_EXPLICIT"]:
        overrides["MOCK_MODE"] = True  # development default: never send to WhatsApp by accident
    app = create_app(overrides)
    from app import jobs
    from app.storage.businesses import seed_demo
    from app.storage.migrate import migrate

    migrate(app.config["DATABASE_URL"])
    business_id, created = seed_demo(app.config["PHONE_NUMBER_ID"])
    logging.getLogger("run").info(
        "Demo Salon %s (id %s, phone_number_id %s)",
        "created" if created else "ready",
        business_id,
        app.config["PHONE_NUMBER_ID"],
    )
    worker = threading.Thread(
        target=jobs.run_worker,
        args=(app,),
        kwargs={"install_signal_handlers": False},
        name="worker",
        daemon=True,
    )
    worker.start()
    app.run(host=app.config["HOST"], port=app.config["PORT"], threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
