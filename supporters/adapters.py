from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Supporters join by a coordinator's invitation (issue 5), never by open sign-up.
        return False
