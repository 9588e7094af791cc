from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from config.errors import ServiceError
from supporters.services import create_api_token


class Command(BaseCommand):
    help = "Create a personal API token for a user and print only the token, for scripts."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="issue_token", help="What the token is for.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            message = gettext("No user is called “%(username)s”.")
            raise CommandError(message % {"username": username})
        if not user.is_active:
            raise CommandError(
                gettext("The user “%(username)s” is inactive: a token would not work.")
                % {"username": username}
            )
        try:
            _token, key = create_api_token(user, name)
        except ServiceError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(key)
