"""Virtual clinic sessions: a consultant's list of patients and the worklist of their summaries."""
