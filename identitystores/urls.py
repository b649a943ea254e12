app_name = "identitystores"
urlpatterns = []
