from __future__ import annotations

import importlib
import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from totalquota.demo.context import DEMO_PASSWORD, STEPS, DemoContext
from totalquota.registry.models import Park


class Command(BaseCommand):
    help = "Load the demo park (zones, enterprises, users for every role, and each app's demo records)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database already has a park"
        )
        parser.add_argument("--seed", type=int, default=20211, help="random seed (same seed, same park)")
        parser.add_argument("--enterprises", type=int, default=240, help="number of demo enterprises")

    def handle(self, *args, **options):
        if Park.objects.exists():
            if options["if_empty"]:
                self.stdout.write("数据库中已有园区数据，跳过演示数据。")
                return
            self.stderr.write("数据库中已有园区数据；演示数据只能装入空数据库。")
            raise SystemExit(1)
        ctx = DemoContext(rng=random.Random(options["seed"]), today=timezone.localdate())
        ctx["enterprise_count"] = options["enterprises"]
        with transaction.atomic():
            for name in STEPS:
                module = importlib.import_module(name)
                self.stdout.write(f"· {name.rsplit('.', 1)[-1]} …")
                module.seed(ctx)
        self.stdout.write(self.style.SUCCESS(f"演示数据已装入（{ctx.today:%Y-%m-%d}）。"))
        for note in ctx.notes:
            self.stdout.write(note)
        self.stdout.write(f"演示账号密码均为：{DEMO_PASSWORD}")
