"""django-allauth settings, owned by the donors app and imported by gongyi.settings."""

ACCOUNT_LOGIN_METHODS = {"username"}
