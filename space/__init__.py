"""The MMAD leaderboard Space: browse reported and verified results, submit prediction files."""
