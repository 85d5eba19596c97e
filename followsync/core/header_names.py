"""Other names people give followsync's columns, so a sheet they already keep is read as it is.

One flat table, header as people type it -> followsync's column. Headers are compared the
way RULES.md section 1 says (case, spaces and punctuation ignored), so ``Date applied``,
``date-applied`` and ``DATE APPLIED`` are one entry. A header that is followsync's own name
always wins over a synonym: a sheet with both ``Job title`` and ``Position`` reads ``Job title``
and keeps ``Position`` as the person's own column. ``[columns]`` in followsync.toml maps any
other header (README: "Bring your own sheet").
"""

from __future__ import annotations

SYNONYMS: dict[str, str] = {
    # Company
    "Company name": "Company",
    "Employer": "Company",
    "Organisation": "Company",
    "Organization": "Company",
    "Org": "Company",
    "Firm": "Company",
    "Business": "Company",
    "Agency": "Company",
    # Job title
    "Position": "Job title",
    "Position title": "Job title",
    "Role": "Job title",
    "Role title": "Job title",
    "Job": "Job title",
    "Job name": "Job title",
    "Job position": "Job title",
    "Job role": "Job title",
    "Title": "Job title",
    "Vacancy": "Job title",
    "Opening": "Job title",
    # Location
    "City": "Location",
    "Job location": "Location",
    "Office": "Location",
    # Applied on
    "Date applied": "Applied on",
    "Applied": "Applied on",
    "Applied date": "Applied on",
    "Applied at": "Applied on",
    "Application date": "Applied on",
    "Date of application": "Applied on",
    "Date submitted": "Applied on",
    "Submitted on": "Applied on",
    # Status
    "Application status": "Status",
    "Stage": "Status",
    # Interview at
    "Interview date": "Interview at",
    "Interview time": "Interview at",
    "Interview date/time": "Interview at",
    "Interview datetime": "Interview at",
    "Interview on": "Interview at",
    "Date of interview": "Interview at",
    # Interviewer: the person the thank-you and follow-ups go to
    "Contact": "Interviewer",
    "Contact name": "Interviewer",
    "Contact person": "Interviewer",
    "Recruiter": "Interviewer",
    "Recruiter name": "Interviewer",
    "Hiring manager": "Interviewer",
    "Interviewer name": "Interviewer",
    "Interviewed by": "Interviewer",
    # Interviewer role
    "Contact title": "Interviewer role",
    "Contact role": "Interviewer role",
    "Contact position": "Interviewer role",
    "Interviewer title": "Interviewer role",
    "Interviewer position": "Interviewer role",
    # Interviewer email
    "Contact email": "Interviewer email",
    "Contact e-mail": "Interviewer email",
    "Email": "Interviewer email",
    "E-mail": "Interviewer email",
    "Email address": "Interviewer email",
    "Recruiter email": "Interviewer email",
    "Hiring manager email": "Interviewer email",
    "Interviewer e-mail": "Interviewer email",
    # Interviewer phone
    "Contact phone": "Interviewer phone",
    "Contact number": "Interviewer phone",
    "Phone": "Interviewer phone",
    "Phone number": "Interviewer phone",
    "Telephone": "Interviewer phone",
    "Recruiter phone": "Interviewer phone",
    # Expected response by
    "Expected response": "Expected response by",
    "Response expected": "Expected response by",
    "Response expected by": "Expected response by",
    "Hear back by": "Expected response by",
    "Decision by": "Expected response by",
    # Thank-you sent
    "Thank you note sent": "Thank-you sent",
    "Thank-you note sent": "Thank-you sent",
    "Thanks sent": "Thank-you sent",
    # Follow-ups sent, Last follow-up
    "Follow-ups": "Follow-ups sent",
    "Number of follow-ups": "Follow-ups sent",
    "Follow-up count": "Follow-ups sent",
    "Last follow-up date": "Last follow-up",
    "Last followed up": "Last follow-up",
    # Response on
    "Response date": "Response on",
    "Response received": "Response on",
    "Heard back": "Response on",
    "Heard back on": "Response on",
    "Date heard back": "Response on",
    "Reply date": "Response on",
    # LinkedIn
    "LinkedIn profile": "LinkedIn",
    "LinkedIn URL": "LinkedIn",
    "LinkedIn connection": "LinkedIn",
    # Notes
    "Note": "Notes",
    "Comments": "Notes",
    "Comment": "Notes",
    "Remarks": "Notes",
}
