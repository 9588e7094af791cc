"""The demo's venues: the halls, and when each holds its help desk."""

from config.demo.base import BaseBuilder
from config.demo.data import FY2024, HALLS
from venues.models import HelpdeskSchedule, Venue


class VenueBuilder(BaseBuilder):
    """Halls and their help-desk schedules."""

    def add_venues(self):
        venues = Venue.objects.bulk_create(
            Venue(
                name=hall.name,
                name_kana=hall.kana,
                address=hall.address,
                district=self.districts[hall.district],
                latitude=hall.latitude,
                longitude=hall.longitude,
                phone=hall.phone,
                access_notes=hall.access,
                accessibility_notes=hall.accessibility,
                has_wifi=bool(hall.wifi),
                wifi_notes=hall.wifi,
                is_helpdesk=hall.helpdesk is not None,
            )
            for hall in HALLS
        )
        self.venues = {venue.name: venue for venue in venues}
        self.schedules = HelpdeskSchedule.objects.bulk_create(
            HelpdeskSchedule(
                venue=self.venues[hall.name],
                weekday=weekday,
                weeks_of_month=weeks,
                start_time=start,
                end_time=end,
                supporters_needed=needed,
                valid_from=FY2024.first_day,
            )
            for hall in HALLS
            if hall.helpdesk
            for weekday, weeks, start, end, needed in [hall.helpdesk]
        )
