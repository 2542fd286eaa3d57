from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from gongyi.donors.wechat.provider import WechatOfficialAccountProvider

urlpatterns = default_urlpatterns(WechatOfficialAccountProvider)
