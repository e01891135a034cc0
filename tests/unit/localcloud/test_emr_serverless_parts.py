"""The local EMR Serverless pieces that need no cloud: the local spark-submit arguments, and the key
casing between Step Functions' Parameters and the EMR Serverless API."""

from __future__ import annotations

from reelstack_tools.localcloud.emr_serverless import submit_args
from reelstack_tools.localcloud.moto_sync_integrations import camel_keys, pascal_keys

LOCAL = (
    "--master local[2] --driver-memory 2g --conf spark.sql.shuffle.partitions=8 --conf spark.ui.enabled=false"
)


def test_a_local_run_keeps_the_job_settings_but_not_the_cluster_sizing() -> None:
    # GIVEN the sparkSubmitParameters an EMR Serverless run is given
    given = (
        "--conf spark.executor.cores=4 --conf spark.driver.memory=14g --class Ignored "
        "--conf 'spark.sql.shuffle.partitions=400' --conf spark.sql.adaptive.enabled=true --jars x.jar"
    )
    # WHEN turned into PYSPARK_SUBMIT_ARGS THEN the job's own --conf pairs survive behind a local master
    # sized for this machine; the cluster's sizes and everything but --conf are dropped
    assert submit_args(given) == f"{LOCAL} --conf spark.sql.adaptive.enabled=true pyspark-shell"
    assert submit_args("") == f"{LOCAL} pyspark-shell"


def test_asl_parameters_become_api_members_but_spark_properties_stay_as_written() -> None:
    # GIVEN a state's Parameters in PascalCase, with Spark properties (data, not member names)
    parameters = {
        "ApplicationId": "app",
        "JobDriver": {
            "SparkSubmit": {"EntryPoint": "s3://b/job.py", "EntryPointArguments": ["--as-of", "x"]}
        },
        "ConfigurationOverrides": {
            "ApplicationConfiguration": [
                {"Classification": "spark-defaults", "Properties": {"spark.Driver.Memory": "4g"}}
            ]
        },
    }
    # WHEN converted THEN members are camelCase and the properties' keys are untouched
    assert camel_keys(parameters) == {
        "applicationId": "app",
        "jobDriver": {
            "sparkSubmit": {"entryPoint": "s3://b/job.py", "entryPointArguments": ["--as-of", "x"]}
        },
        "configurationOverrides": {
            "applicationConfiguration": [
                {"classification": "spark-defaults", "properties": {"spark.Driver.Memory": "4g"}}
            ]
        },
    }
    # AND an answer comes back in Step Functions' PascalCase
    assert pascal_keys({"jobRunId": "r1", "totalResourceUtilization": {"vCPUHour": 0.1}}) == {
        "JobRunId": "r1",
        "TotalResourceUtilization": {"VCPUHour": 0.1},
    }
