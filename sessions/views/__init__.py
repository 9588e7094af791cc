"""The sessions app's pages, by journey: public information, group-visit requests, shifts."""
