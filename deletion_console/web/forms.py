from django import forms


class TargetSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True, label="Search by name or id")
    after = forms.CharField(required=False, max_length=300)
    before = forms.CharField(required=False, max_length=300)


class ConfirmDeletionForm(forms.Form):
    """What the person typed, and the signed preview they were shown (rendered beside the counts
    it signs, web.previews). Whether that lets the deletion start is the service's decision
    (services.jobs.check_request), not the form's."""

    confirm_name = forms.CharField(
        max_length=255,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}),
    )
    shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, noun: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm_name"].label = f"Type the {noun}'s name to confirm"


class BulkConfirmForm(forms.Form):
    """The number of targets, typed: a bulk request has no one name to type."""

    confirm_count = forms.CharField(
        max_length=10, widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"})
    )

    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm_count"].label = f"Type {count} to confirm"
