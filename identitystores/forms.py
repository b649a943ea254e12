"""Forms for identity stores and portals."""

from django import forms

from core import formfields

from .models import IdentityStore, Portal


class IdentityStoreForm(forms.ModelForm):
    class Meta:
        model = IdentityStore
        fields = ["name", "type", "enabled", "time_zone"]
        help_texts = {"time_zone": 'Decides what "today" is for the store\'s scheduled jobs.'}


class PortalForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")

    class Meta:
        model = Portal
        fields = ["name", "url", "stores"]
        field_classes = {"stores": formfields.ModelMultipleChoiceField}
        widgets = {"stores": forms.CheckboxSelectMultiple}
        labels = {"stores": "Linked identity stores"}

    def __init__(self, *args, stores=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stores is not None:
            self.fields["stores"].queryset = stores

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Enter a web address starting with https://.")
        return url
