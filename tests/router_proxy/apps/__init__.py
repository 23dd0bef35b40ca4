"""Two small apps, deliberately unlike the payments API, that the router is tested against."""
