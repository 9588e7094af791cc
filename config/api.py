from ninja import NinjaAPI

api = NinjaAPI(title="digisapo API", version="1", urls_namespace="api")
