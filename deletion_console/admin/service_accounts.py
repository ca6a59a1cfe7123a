"""Service accounts in the admin: a token is shown once, on the page that issues it, and is
stored only as a hash. Revoking is an action; so is issuing a new token in place of the old one.
Its scopes (what the token may do per kind of target) are ticked on the account's page."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Permission
from django.template.response import TemplateResponse

from deletion_console.engine.plan import get_plan, kinds
from deletion_console.models import ServiceAccount, TokenAction
from deletion_console.services import service_accounts as accounts

SEPARATOR = ":"


def _permission_field():
    return forms.ModelMultipleChoiceField(
        queryset=Permission.objects.select_related("content_type").order_by("content_type__app_label", "codename"),
        required=False,
        widget=admin.widgets.FilteredSelectMultiple("permissions", is_stacked=False),
        help_text="What the account's token may do, e.g. “Can request, cancel and resume deletions”.",
    )


def _scope_choices():
    # Grouped by kind: the checkboxes render as one list of actions per kind.
    actions = TokenAction.choices
    return [
        (get_plan(kind).noun.capitalize(), [(f"{kind}{SEPARATOR}{value}", label) for value, label in actions])
        for kind in kinds()
    ]


def scopes_from_choices(chosen) -> dict[str, list[str]]:
    scopes: dict[str, list[str]] = {}
    for value in chosen:
        kind, action = value.split(SEPARATOR, 1)
        scopes.setdefault(kind, []).append(action)
    return scopes


def choices_from_scopes(scopes: dict) -> list[str]:
    return [f"{kind}{SEPARATOR}{action}" for kind, actions in scopes.items() for action in actions]


class ServiceAccountForm(forms.ModelForm):
    permissions = _permission_field()
    token_scopes = forms.MultipleChoiceField(
        label="Scopes",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the token may do on each kind of target, within the permissions above: read its "
        "jobs, preview targets, request, cancel and resume deletions. A kind with nothing ticked is "
        "hidden from the token (its jobs answer 404).",
    )

    class Meta:
        model = ServiceAccount
        fields = ("name", "description", "broker_user")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token_scopes"].choices = _scope_choices()
        if self.instance.pk:
            self.fields["permissions"].initial = self.instance.user.user_permissions.all()
            self.fields["token_scopes"].initial = choices_from_scopes(self.instance.scopes)

    def clean_token_scopes(self):
        try:
            return accounts.checked_scopes(scopes_from_choices(self.cleaned_data["token_scopes"]))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    form = ServiceAccountForm
    list_display = ("name", "token_prefix", "state", "scopes_display", "last_used_at", "created_at", "created_by")
    list_filter = ("revoked_at",)
    search_fields = ("name", "description", "token_prefix", "broker_user")
    readonly_fields = ("user", "token_prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ("revoke_selected", "rotate_token")

    def get_readonly_fields(self, request, obj=None):
        # The name is the account's user's name too: fixed once issued.
        return ("name", *self.readonly_fields) if obj else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "description", "broker_user", "permissions", "token_scopes")
        return ("name", "description", "broker_user", "permissions", "token_scopes", *self.readonly_fields)

    def has_delete_permission(self, request, obj=None):
        # Jobs name the account's user as their requester: revoke, do not delete.
        return False

    @admin.display(description="state")
    def state(self, account):
        return "revoked" if account.is_revoked else "active"

    @admin.display(description="scopes")
    def scopes_display(self, account):
        if not account.scopes:
            return "— (none: the token may do nothing)"
        # jsonb keeps no key order: the plans' order it is.
        scoped = [kind for kind in kinds() if kind in account.scopes]
        return "; ".join(f"{kind}: {', '.join(account.scopes[kind])}" for kind in scoped)

    def save_model(self, request, obj, form, change):
        permissions, scopes = form.cleaned_data["permissions"], form.cleaned_data["token_scopes"]
        if change:
            obj.save()
            accounts.set_permissions(account=obj, permissions=permissions)
            accounts.set_scopes(account=obj, scopes=scopes)
            return
        account, token = accounts.create_service_account(
            name=obj.name,
            description=obj.description,
            broker_user=obj.broker_user,
            permissions=permissions,
            scopes=scopes,
            created_by=request.user,
        )
        obj.pk, obj._state.adding, obj.new_token = account.pk, False, token

    def save_related(self, request, form, formsets, change):
        # The form's relation (permissions) and scopes are written by the service.
        pass

    def response_add(self, request, obj, post_url_continue=None):
        return self._token_page(request, obj, obj.new_token)

    def _token_page(self, request, account, token):
        context = {**self.admin_site.each_context(request), "opts": self.opts, "account": account, "token": token}
        response = TemplateResponse(request, "admin/deletion_console/serviceaccount/token.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected accounts' tokens")
    def revoke_selected(self, request, queryset):
        for account in queryset:
            accounts.revoke(account=account)
        self.message_user(request, f"Revoked {queryset.count()} token(s).", messages.SUCCESS)

    @admin.action(description="Issue a new token (the old one stops working)")
    def rotate_token(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one account to issue a new token.", messages.WARNING)
            return None
        account = queryset.get()
        if account.is_revoked:
            self.message_user(request, f"{account} is revoked; create a new account instead.", messages.WARNING)
            return None
        return self._token_page(request, account, accounts.rotate_token(account=account))
