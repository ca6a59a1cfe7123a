from django import forms

from deletion_console.services.confirmation import (
    changed_message,
    mismatch_message,
    name_matches,
    shown_preview_is_current,
    sign_preview,
)
from deletion_console.services.preview import Preview


class CampaignSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True, label="Search by name or id")
    after = forms.CharField(required=False, max_length=300)
    before = forms.CharField(required=False, max_length=300)


class ConfirmDeletionForm(forms.Form):
    """The person types the campaign's name: checked here, on the server, against the preview."""

    confirm_name = forms.CharField(
        label="Type the campaign's name to confirm",
        max_length=255,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}),
    )

    shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, preview: Preview, **kwargs):
        super().__init__(*args, **kwargs)
        self.preview = preview
        self.fields["shown"].initial = sign_preview(preview)

    def clean_confirm_name(self):
        typed = self.cleaned_data["confirm_name"]
        if not name_matches(self.preview, typed):
            raise forms.ValidationError(mismatch_message(self.preview), code="mismatch")
        return typed

    def clean(self):
        cleaned = super().clean()
        if self.is_bound and not shown_preview_is_current(cleaned.get("shown") or "", self.preview):
            # The page is shown again with the current counts, and a signature of those.
            self.data = self.data.copy()
            self.data["shown"] = sign_preview(self.preview)
            raise forms.ValidationError(changed_message(), code="changed")
        return cleaned
