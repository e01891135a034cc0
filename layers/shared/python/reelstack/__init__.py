"""reelstack: the shared layer of every Lambda function (domain, adapters, services, settings)."""
