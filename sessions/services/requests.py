"""Group-visit requests (学び合い出張サポート): received, triaged, scheduled and reported.

The residents' journey that fills this module comes next; its rules belong here, called by the
request form, the coordinators' pages, the API, SMS replies and the admin alike.
"""
