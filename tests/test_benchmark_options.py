"""The benchmarks that reuse `webhook_ack`'s scenarios give them every option those read."""

from benchmarks import webhook_ack, worker_ab


def test_worker_ab_runs_the_scenarios_with_every_webhook_ack_option():
    args, ack = worker_ab.run_args(
        ["WEB_SCHED_BATCH=off", "--seconds", "5", "--backlog", "300", "--worker-class", "gevent"]
    )
    defaults = vars(webhook_ack.parser().parse_args([]))
    assert set(vars(ack)) == set(defaults)  # an option webhook_ack gains reaches worker_ab's runs
    assert (ack.duration, ack.saturation_seconds, ack.backlog) == (5.0, 5.0, 300)
    assert ack.worker_class == "gevent"
    assert args.settings == ["WEB_SCHED_BATCH=off"]
    unchanged = {"rate", "concurrency", "customers", "quick", "workers", "threads"}
    assert {key: vars(ack)[key] for key in unchanged} == {key: defaults[key] for key in unchanged}
