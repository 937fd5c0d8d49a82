from django.contrib import admin

from notifications.models import Notification, ReminderClaim

admin.site.register(Notification)
admin.site.register(ReminderClaim)
