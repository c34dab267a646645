"""签发文件: the documents the bureau issues (ANNEX-1 tables now; determinations and bulletins next).

One table for every kind, so that numbering, verification and supersession are written once. A
document is written once when it is issued (number, 文号, version, subject, issuer, date, the
figures it states, the verification code); its files are stored once, the first time they are
asked for (see :mod:`totalquota.documents.services`), and never change after that. The only other
change is its state: valid → superseded (by the next version) or revoked (with the reason).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from totalquota.common.models import optional_link, required_link

USER = settings.AUTH_USER_MODEL


class DocumentKind(models.TextChoices):
    """The kinds of document the bureau issues; each has its own gapless number series per year."""

    ANNEX_1 = "annex1", _("排污总量指标管理信息表")
    DETERMINATION = "determination", _("允许排放量核定决定")
    BULLETIN = "bulletin", _("通报")


# The bureau that issues every document, as the documents print it.
ISSUER = "苏州工业园区生态环境局"
ISSUER_LABEL = _("苏州工业园区生态环境局")  # the same authority, named in the page's language

# The 文号 prefix of each kind: ``苏园环总表〔2026〕7号``.
CODE_PREFIX = {
    DocumentKind.ANNEX_1: "苏园环总表",
    DocumentKind.DETERMINATION: "苏园环核",
    DocumentKind.BULLETIN: "苏园环通",
}


class DocumentState(models.TextChoices):
    VALID = "valid", pgettext_lazy("document state", "有效")
    SUPERSEDED = "superseded", _("已被新版本替代")
    REVOKED = "revoked", pgettext_lazy("document", "已撤销")


class IssuedDocument(models.Model):
    """签发文件: one issued version of a document, with its number, verification code and files.

    ``subject`` is the record it is issued for (a quota application for ANNEX-1); at most one
    document of a kind is valid for a subject at a time, so "the valid ANNEX-1 of application X"
    is one indexed lookup. ``figures`` is everything the document states, so that rendering it
    again reproduces it; ``pdf`` / ``xlsx`` are the files as stored, with their SHA-256 digests.
    """

    kind = models.CharField(_("文件种类"), max_length=16, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("序号"))
    code = models.CharField(_("文号"), max_length=40, unique=True)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    subject_type = required_link(ContentType, _("对象类型"), related_name="+")
    subject_id = models.PositiveBigIntegerField(_("对象编号"))
    subject = GenericForeignKey("subject_type", "subject_id")
    holder = models.CharField(_("排污单位"), max_length=200)
    subject_label = models.CharField(pgettext_lazy("document subject", "事项"), max_length=300)
    issued_by = required_link(USER, _("签发人"), related_name="+")
    issued_on = models.DateField(_("签发日期"))
    issued_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    figures = models.JSONField(_("文件内容"), default=dict)
    verification_code = models.CharField(_("验证码"), max_length=64, unique=True)
    pdf = models.BinaryField(_("PDF 文件"), null=True, editable=False)
    pdf_sha256 = models.CharField(_("PDF 摘要（SHA-256）"), max_length=64, blank=True)
    xlsx = models.BinaryField(_("XLSX 文件"), null=True, editable=False)
    xlsx_sha256 = models.CharField(_("XLSX 摘要（SHA-256）"), max_length=64, blank=True)
    stored_at = models.DateTimeField(_("文件保存时间"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=DocumentState.choices, default=DocumentState.VALID
    )
    superseded_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("替代文件"),
    )
    revoked_reason = models.TextField(pgettext_lazy("document", "撤销理由"), blank=True)
    revoked_by = optional_link(USER, pgettext_lazy("document", "撤销人"), related_name="+")
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    # Published (公开) by the bureau on the public page; once published it stays published.
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    published_by = optional_link(USER, _("公开人"), related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = _("签发文件")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "kind"], name="documents_subject")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "number"], name="documents_number_unique"),
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind", "version"], name="documents_version_unique"
            ),
            # One valid document of a kind per subject: a second issue must supersede the first.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind"],
                condition=Q(state="valid"),
                name="documents_one_valid_per_subject",
            ),
            models.CheckConstraint(
                condition=~Q(state="superseded") | Q(superseded_by__isnull=False),
                name="documents_superseded_names_successor",
            ),
            models.CheckConstraint(
                condition=~Q(state="revoked") | ~Q(revoked_reason=""),
                name="documents_revoked_has_reason",
            ),
            models.CheckConstraint(
                condition=(Q(pdf__isnull=True) & Q(pdf_sha256=""))
                | (Q(pdf__isnull=False) & ~Q(pdf_sha256="")),
                name="documents_pdf_has_digest",
            ),
            models.CheckConstraint(
                condition=(Q(xlsx__isnull=True) & Q(xlsx_sha256=""))
                | (Q(xlsx__isnull=False) & ~Q(xlsx_sha256="")),
                name="documents_xlsx_has_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}（第 {self.version} 版）"

    @property
    def is_valid(self) -> bool:
        return self.state == DocumentState.VALID

    @property
    def is_stored(self) -> bool:
        return bool(self.pdf_sha256)
