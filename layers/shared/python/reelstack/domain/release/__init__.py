"""Domain of gray release: feature flags, their rollouts by user bucket and region (pure logic)."""
