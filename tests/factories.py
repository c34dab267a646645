"""factory_boy factories for the registry and accounts."""

from __future__ import annotations

from functools import cache

import factory
from django.contrib.auth.hashers import make_password

from totalquota.accounts.models import User
from totalquota.accounts.roles import Role
from totalquota.lib import uscc
from totalquota.registry.models import Enterprise, ManagementCategory, Park, Zone

PASSWORD = "Correct-horse-42"


@cache
def password_hash() -> str:
    """One real argon2 hash of PASSWORD, computed once per test process (hashing is slow on purpose)."""
    return make_password(PASSWORD)


def credit_code(n: int) -> str:
    return uscc.complete(f"91320594MA{n:07d}")


class ParkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Park
        django_get_or_create = ("code",)

    code = "SIP"
    name = "苏州工业园区"


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ("code",)

    park = factory.SubFactory(ParkFactory)
    code = factory.Sequence(lambda n: f"Z{n:02d}")
    name = factory.Sequence(lambda n: f"测试功能区{n}")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"苏州测试{n}电子有限公司")
    uscc = factory.Sequence(lambda n: credit_code(n + 1))
    permit_number = factory.LazyAttribute(lambda o: f"{o.uscc}001V")
    industry_code = "C3982"
    industry_name = "电子电路制造"
    zone = factory.SubFactory(ZoneFactory)
    address = "苏州工业园区星湖街 1 号"
    contact_name = "王伟"
    contact_phone = "0512-62000000"
    management_category = ManagementCategory.SIMPLIFIED


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username)
    role = Role.LEADER
    password = factory.LazyFunction(password_hash)

    @factory.post_generation
    def assigned_zones(self, create, extracted, **kwargs):
        if create and extracted:
            self.assigned_zones.set(extracted)
        if create:
            self.save()
