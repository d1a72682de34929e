"""Nightly backfill of yesterday through the Flex Template, for Cloud Composer (Airflow 2.x or 3.x).

Each run launches one Dataflow job that re-processes one day of the raw archive and replaces that day's
dt= partition of every table when it finishes (see pipeline/backfill.py). The task waits for the job, so
a failed job fails the task (retried once) and shows up in Airflow's alerting.

Which day: the run fired on day D (03:00 UTC) backfills D-1. `airflow dags backfill -s 2026-11-02 -e
2026-11-08 news_backfill_nightly` therefore re-processes 2026-11-01..2026-11-07, one job at a time, and a
manual trigger may name the day: `airflow dags trigger news_backfill_nightly -c '{"day": "2026-11-05"}'`.

Airflow Variables (set once, see deploy/dataflow/README.md): news_project, news_region, news_template
(gs://.../news-pipeline.json), news_raw_pattern (e.g. gs://bucket/raw/{date}/*), news_output (gs://bucket/tables),
news_worker_service_account (the account the Dataflow workers run as).
"""

from __future__ import annotations

import datetime as dt

from airflow.providers.google.cloud.operators.dataflow import DataflowStartFlexTemplateOperator
from airflow.timetables.trigger import CronTriggerTimetable

try:
    from airflow.sdk import DAG, Param
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.models.param import Param

# The day to backfill: the one before the run's logical date (the trigger time), unless the run names one.
DAY = "{{ params.day or macros.ds_add(ds, -1) }}"
DAY_NODASH = "{{ (params.day or macros.ds_add(ds, -1)) | replace('-', '') }}"

with DAG(
    dag_id="news_backfill_nightly",
    description="Re-process yesterday's raw articles; the day's dt= partitions are replaced whole.",
    schedule=CronTriggerTimetable("0 3 * * *", timezone="UTC"),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,  # one swap at a time; each day's job name is fixed too
    params={"day": Param("", type="string", description="Day to backfill, YYYY-MM-DD; empty: yesterday")},
    default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=15)},
    tags=["news-pipeline", "dataflow"],
) as dag:
    DataflowStartFlexTemplateOperator(
        task_id="backfill_day",
        project_id="{{ var.value.news_project }}",
        location="{{ var.value.news_region }}",
        body={
            "launchParameter": {
                "jobName": f"news-backfill-{DAY_NODASH}",
                "containerSpecGcsPath": "{{ var.value.news_template }}",
                "parameters": {
                    "input": "{{ var.value.news_raw_pattern }}",
                    "output": "{{ var.value.news_output }}",
                    "partition_date": DAY,
                },
                "environment": {"serviceAccountEmail": "{{ var.value.news_worker_service_account }}",
                                "maxWorkers": 10},
            }
        },
        append_job_name=False,  # the fixed per-day name is what stops two jobs swapping one day at once
        wait_until_finished=True,
    )
