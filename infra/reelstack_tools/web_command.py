"""`reelstack web deploy --stack NAME`: the built web app (`make web`) to a deployed stack, where its
playback distribution serves it at `/` from web/ in the media bucket.

It writes every file of the build with its Content-Type and Cache-Control (hashed assets immutable for a
year, the rest revalidated), writes config.json from the stack's outputs (the API stage's URL, the Cognito
hosted UI and app client), invalidates `/`, `/index.html` and `/config.json`, and marks the files of
earlier builds retired, deleting them `--keep-days` later (pages opened before a deploy keep loading their
own files meanwhile). The stack's outputs name the bucket and the distribution. Locally there is nothing to
deploy: the local cloud serves `web/dist` itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "the web app: `web deploy --stack NAME` uploads web/dist to the stack's bucket and CloudFront"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from reelstack_tools.web_files import DEFAULT_DIST

    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    deploy = actions.add_parser(
        "deploy", help="upload the built app and its config.json, invalidate its page"
    )
    deploy.add_argument("--stack", required=True, metavar="NAME", help="the deployed stack (its outputs)")
    deploy.add_argument("--region", default=None, help="the stack's AWS region (the SDK's default)")
    deploy.add_argument("--endpoint-url", default=None, metavar="URL", help="AWS endpoint (an emulator)")
    deploy.add_argument(
        "--dist", type=Path, default=DEFAULT_DIST, help="the build to deploy (default web/dist: `make web`)"
    )
    deploy.add_argument(
        "--keep-days",
        type=float,
        default=7.0,
        metavar="DAYS",
        help="files of earlier builds are deleted this long after a deploy retired them (default 7; 0: now)",
    )
    deploy.add_argument("--wait", action="store_true", help="until CloudFront completes the invalidation")


def run(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from botocore.exceptions import BotoCoreError, ClientError

    from reelstack_tools.executions_target import aws_client
    from reelstack_tools.stack_outputs import stack_outputs
    from reelstack_tools.web_config import MissingOutputs, deployed_config
    from reelstack_tools.web_deploy import WebDeployer
    from reelstack_tools.web_release import INVALIDATED_PATHS, NotBuilt

    if args.keep_days < 0:
        sys.stderr.write("reelstack web deploy: --keep-days is 0 or more\n")
        return 2
    try:
        outputs = stack_outputs(aws_client("cloudformation", args.region, args.endpoint_url), args.stack)
        config = deployed_config(outputs)
        deployer = WebDeployer(
            aws_client("s3", args.region, args.endpoint_url),
            aws_client("cloudfront", args.region, args.endpoint_url),
            outputs["MediaBucketName"],
            outputs["PlaybackDistributionId"],
        )
        released = deployer.release(args.dist, config, timedelta(days=args.keep_days))
        sys.stdout.write(
            f"uploaded {released.uploaded} files ({released.bytes:,} bytes) to "
            f"s3://{deployer.bucket}/web/, config.json for stage {config['stage']} "
            f"(API {config['api_url']}, sign-in {outputs['SignInUrl']})\n"
        )
        if released.marked or released.deleted:
            sys.stdout.write(
                f"earlier builds: {len(released.marked)} files retired now (deleted {args.keep_days:g} days "
                f"on), {len(released.deleted)} deleted\n"
            )
        paths = ", ".join(INVALIDATED_PATHS)
        sys.stdout.write(f"invalidation {released.invalidation_id} of {paths}\n")
        if args.wait:
            deployer.wait(released.invalidation_id)
            sys.stdout.write("invalidation complete\n")
    except (MissingOutputs, NotBuilt) as error:
        sys.stderr.write(f"reelstack web deploy: {error}\n")
        return 1
    except (ClientError, BotoCoreError, RuntimeError, OSError) as error:
        sys.stderr.write(f"reelstack web deploy: stack {args.stack}: {error}\n")
        return 1
    sys.stdout.write(f"the app: {outputs['WebAppUrl']}\n")
    return 0
