"""The annual activity statistics (issue 12): figures aggregated in the database, assembled into
one report that the page, the print, the exports and the API render."""
