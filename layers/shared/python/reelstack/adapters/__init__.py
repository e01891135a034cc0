"""Adapters: the only modules that import boto3, pynamodb, redis, opensearch-py, ffmpeg-python or sagemaker."""
