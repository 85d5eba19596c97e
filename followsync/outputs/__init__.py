"""What a run reports: the digest and --json, the Summary worksheet, the HTML report, the calendar, the mail."""
