"""Import the DAG with Airflow and render its launch request for one logical date, as JSON on stdout.

Run with an interpreter that has apache-airflow and apache-airflow-providers-google (tests/test_deploy.py
does, when AIRFLOW_PYTHON names one or Airflow is importable):
    python deploy/composer/check_dag.py 2026-12-01 [DAY]
"""

import json
import sys
from pathlib import Path

try:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk.execution_time import macros
except ImportError:  # Airflow 2.x
    from airflow import macros
    from airflow.models.dagbag import DagBag

VARIABLES = {"news_project": "news-prod", "news_region": "europe-west1",
             "news_template": "gs://news-bucket/templates/news-pipeline.json",
             "news_raw_pattern": "gs://news-bucket/raw/{date}/*", "news_output": "gs://news-bucket/tables",
             "news_worker_service_account": "news-dataflow@news-prod.iam.gserviceaccount.com"}


class _Values:
    def __getattr__(self, name: str) -> str:
        return VARIABLES[name]


def main() -> None:
    bag = DagBag(dag_folder=str(Path(__file__).with_name("backfill_dag.py")))
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    dag = bag.dags["news_backfill_nightly"]
    task = dag.get_task("backfill_day")
    context = {"ds": sys.argv[1], "params": {"day": sys.argv[2] if len(sys.argv) > 2 else ""},
               "macros": macros, "var": {"value": _Values()}}
    env = dag.get_template_env()
    print(json.dumps({
        "operator": type(task).__name__,
        "append_job_name": task.append_job_name,
        "wait_until_finished": task.wait_until_finished,
        "max_active_runs": dag.max_active_runs,
        "timetable": type(dag.timetable).__name__,
        "project_id": task.render_template(task.project_id, context, jinja_env=env),
        "location": task.render_template(task.location, context, jinja_env=env),
        "body": task.render_template(task.body, context, jinja_env=env),
    }))


if __name__ == "__main__":
    main()
