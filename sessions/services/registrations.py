"""Residents' registrations for smartphone classes, with their waiting list.

The residents' journey that fills this module comes next; its rules belong here, called by the
class pages, the coordinators' pages, the API, SMS replies and the admin alike.
"""
