"""The local EMR Serverless pieces that need no cloud: the local spark-submit arguments, and the key
casing between Step Functions' Parameters and the EMR Serverless API."""

from __future__ import annotations

from reelstack_tools.localcloud.emr_serverless import submit_args
from reelstack_tools.localcloud.moto_sync_integrations import camel_keys, pascal_keys


def test_a_local_run_keeps_the_conf_settings_and_runs_on_a_local_master() -> None:
    # GIVEN the sparkSubmitParameters an EMR Serverless run is given
    given = (
        "--conf spark.executor.cores=4 --class Ignored --conf 'spark.sql.shuffle.partitions=8' --jars x.jar"
    )
    # WHEN turned into PYSPARK_SUBMIT_ARGS THEN only --conf pairs survive, behind a local master
    assert submit_args(given) == (
        "--master local[2] --conf spark.executor.cores=4 --conf spark.sql.shuffle.partitions=8 pyspark-shell"
    )
    assert submit_args("") == "--master local[2] pyspark-shell"


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
